"""One module per silo file group, loaded in dependency order by ``silos_load``."""
