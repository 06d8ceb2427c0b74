# dom0 toolstack: the pvctl CLI and the pvisord daemon.
CTL_SRCS := toolstack/ctl/ctl_proto.c

TOOL_SRCS += \
	toolstack/pvctl/main.c \
	toolstack/pvctl/client.c \
	toolstack/pvctl/config.c \
	toolstack/pvctl/cmd_create.c \
	toolstack/pvctl/cmd_domain.c \
	toolstack/pvctl/cmd_info.c \
	toolstack/pvctl/cmd_run.c \
	$(CTL_SRCS)

PVISORD_SRCS := \
	toolstack/pvisord/main.c \
	toolstack/pvisord/commands.c \
	toolstack/pvisord/console.c \
	toolstack/pvisord/domains.c \
	toolstack/pvisord/msg_ring.c \
	$(CTL_SRCS)
PVISORD_OBJS := $(PVISORD_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/pvisord: $(PVISORD_OBJS) $(LIBPVISOR)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

pvisor: $(BUILD)/pvisord
