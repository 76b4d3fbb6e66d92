/* Questions about a loaded config as written (not resolved for a user). */
#include "conf-int.h"

bool
conf_key_set_anywhere(const struct tn_conf *conf, enum tn_key key, const char **file,
    unsigned *line)
{
	for (unsigned i = 0; i < conf->nsec; i++)
		if (conf->sec[i].set & (1u << key)) {
			*file = conf->sec[i].file;
			*line = conf->sec[i].key_line[key];
			return true;
		}
	return false;
}

bool
conf_lxcfs_yes_anywhere(const struct tn_conf *conf, const char **file, unsigned *line)
{
	for (unsigned i = 0; i < conf->nsec; i++)
		if ((conf->sec[i].set & (1u << TN_KEY_PROC_LXCFS)) &&
		    conf->sec[i].val.proc_lxcfs == TN_LXCFS_YES) {
			*file = conf->sec[i].file;
			*line = conf->sec[i].key_line[TN_KEY_PROC_LXCFS];
			return true;
		}
	return false;
}
