# dom0 toolstack: the pvctl CLI and the pvisord daemon.
include toolstack/xenstored/build.mk
include toolstack/config/build.mk

CTL_SRCS := toolstack/ctl/ctl_proto.c toolstack/console/console_ring.c

TOOL_SRCS += \
	toolstack/pvctl/main.c \
	toolstack/pvctl/client.c \
	toolstack/pvctl/cmd_create.c \
	toolstack/pvctl/cmd_domain.c \
	toolstack/pvctl/cmd_info.c \
	toolstack/pvctl/cmd_xenstore.c \
	toolstack/pvctl/cmd_run.c \
	toolstack/pvctl/run_console.c \
	toolstack/pvctl/evtchn_echo.c \
	toolstack/pvctl/test_service.c \
	$(CTL_SRCS)

PVISORD_SRCS := \
	toolstack/pvisord/main.c \
	toolstack/pvisord/clients.c \
	toolstack/pvisord/commands.c \
	toolstack/pvisord/console.c \
	toolstack/pvisord/domains.c \
	toolstack/pvisord/msg_ring.c \
	toolstack/pvisord/backend.c \
	toolstack/pvisord/xenstore.c \
	$(CTL_SRCS)
PVISORD_OBJS := $(PVISORD_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/pvisord: $(PVISORD_OBJS) $(LIBXENSTORED) $(LIBPVISOR)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(XS_LDLIBS)

pvisor: $(BUILD)/pvisord


# pvctl parses config files client-side, as xl does.
$(BUILD)/pvctl: $(LIBPVCFG)
$(BUILD)/obj/toolstack/pvctl/%.o: CFLAGS += -Itoolstack/config
