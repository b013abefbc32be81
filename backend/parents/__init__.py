"""Parents take part (issue 15): invitations to one task, and the parents' own pages."""
