"""Citizen FAQ assistant for a People's Committee's Zalo Official Account."""
