"""activities: organization life, theme days, service posts, claims, check-ins and hours."""
