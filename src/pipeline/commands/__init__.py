"""The user's commands: one module per `pipeline` command.

Each loads its params, calls the core, and prints what a person needs; nothing else in the
package prints (core modules return values and raise). A `PipelineError` from the core
becomes one line on stderr and the command's exit code, never a traceback.
"""
