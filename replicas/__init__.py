"""Local replicas of the platforms we harvest. They stand for somebody else's website:
nothing here imports harvester/, spiders/ or adapters/."""
