"""The cost of refusing abusive operations, and of the limits on a normal one."""
