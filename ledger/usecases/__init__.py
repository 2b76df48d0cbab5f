"""Use cases and read views: service functions, access tiers, reports, the regulator workspace."""
