"""Whole-document readings done once per submission: the paper review's sections, AI-use disclosures."""
