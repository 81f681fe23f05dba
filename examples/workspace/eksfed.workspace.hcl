# The root of an organisation's identity wiring: one stack per account, definitions shared
# between them as modules. `file()`, `templatefile()` and module sources may read anywhere
# under this directory (not outside it); stack names are unique in it.

workspace "acme-identity" {
  stacks = ["accounts/*"]
}
