"""The three families side by side: the plan of their runs, their measured quality, a plain account."""
