"""What the product does: use cases, ClaimReview rendering, search rules. No Flask request here."""
