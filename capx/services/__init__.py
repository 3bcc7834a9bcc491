"""Domain logic with no request objects. Blueprints call services; services call models."""
