"""A realistic synthetic demo: fictional organisations, events, invitations and responses."""
