"""The verbs of the application. Each service owns its transaction; views stay thin."""
