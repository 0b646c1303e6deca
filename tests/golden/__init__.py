"""Golden histories: runs recorded in each long wait, replayed on the current code by the tests."""
