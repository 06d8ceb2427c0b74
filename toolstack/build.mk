# dom0 toolstack: the pvctl CLI.
TOOL_SRCS += \
	toolstack/pvctl/main.c \
	toolstack/pvctl/cmd_info.c \
	toolstack/pvctl/cmd_run.c
