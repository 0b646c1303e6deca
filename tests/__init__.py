"""Test suite: unit, simulator, activities, e2e and browser tiers."""
