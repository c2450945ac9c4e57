"""Organizations (tenants), memberships and roles, teams, and per-organization access."""
