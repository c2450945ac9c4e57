"""Webhooks: subscriptions, deliveries with retries and circuit breakers, signed per the
Standard Webhooks specification, and guarded against server-side request forgery."""
