"""The organization tree (党组织): district → street → community → committee / general
branch → branch → group; unit Party organizations; center households."""
