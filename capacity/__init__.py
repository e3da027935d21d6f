"""`make capacity`: the capacity and cost report (see capacity/README.md)."""
