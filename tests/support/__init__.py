"""Helpers several test folders share; fixtures stay in each folder's conftest.py."""
