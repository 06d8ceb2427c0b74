# xl.cfg-style domain configuration files: libpvcfg.a.
CFG_SRCS := \
	toolstack/config/cfg_syntax.c \
	toolstack/config/cfg_domain.c \
	toolstack/config/cfg_disk.c \
	toolstack/config/cfg_vif.c

CFG_OBJS     := $(CFG_SRCS:%.c=$(BUILD)/obj/%.o)
CFG_SAN_OBJS := $(CFG_SRCS:%.c=$(BUILD)/san/%.o)
LIBPVCFG     := $(BUILD)/libpvcfg.a
LIBPVCFG_SAN := $(BUILD)/libpvcfg-san.a
# What linking libpvcfg takes: xxHash (default vif MACs).
CFG_LDLIBS   := -lxxhash

$(LIBPVCFG): $(CFG_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBPVCFG_SAN): $(CFG_SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

pvisor: $(LIBPVCFG)
