"""The record types and the one service that saves every record."""
