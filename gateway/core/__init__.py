"""What every layer shares: configuration, the error tree, typed values, text and domain rules, durable files."""
