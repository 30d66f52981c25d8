"""The SQL store: typed models, migrations, and the repository the harvest writes through."""
