"""Rules; discovered by nbguard.rules.base.all_rules()."""
