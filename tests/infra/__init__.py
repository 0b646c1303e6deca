"""Tests of the production infrastructure (infra/): parse, checkov, least privilege."""
