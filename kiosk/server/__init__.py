"""The central server: Django project with content, queueing, devices, API and web pages."""
