"""extract stage of the gateway."""
