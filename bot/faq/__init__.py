"""The knowledge base: FAQs, their answers, training questions and the unit profile."""
