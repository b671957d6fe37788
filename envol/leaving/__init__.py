"""Leaving X well: the public "where to find us" page, the announcement kit, the Bluesky starter
pack, the domain handle check and the checklist."""
