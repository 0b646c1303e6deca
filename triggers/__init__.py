"""Client functions: the HTTP API and the Service Bus trigger that start and read runs."""
