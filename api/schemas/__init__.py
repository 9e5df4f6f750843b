"""Request and response models, one per purpose, grouped by router."""
