"""End-to-end tests: function_app under devhost against the simulator, over HTTP and AMQP."""
