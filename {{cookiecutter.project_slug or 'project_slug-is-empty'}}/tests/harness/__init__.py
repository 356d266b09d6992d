"""What the guarantees need to run the project as it is deployed: throwaway servers (services), web
processes started from the Procfile behind a round-robin balancer, visitors and load (processes),
probe views (probe) and the settings that serve them, including the negative controls."""
