"""What the user wrote: scenarios, expectations, providers, settings and their precedence."""
