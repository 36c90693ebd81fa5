"""The reference stack's components, one module (or package) each: its services and the faults that break it.

Components depend on the shared mechanics below them (`stack.config`, `stack.files`, `stack.process`,
`stack.probes`, `stack.model`) and on components they build on (the app on PostgreSQL and Redis, nginx on the
frontend and the PKI); never on the orchestrator (`stack.core`) or the shapes that choose them.
"""
