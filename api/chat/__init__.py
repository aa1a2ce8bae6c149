"""Channel-neutral chat: one turn in, bot messages and routing meta out."""
