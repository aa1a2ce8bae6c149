"""Channel adapters: WeChat official account, mini-program customer-service messages, Telegram."""
