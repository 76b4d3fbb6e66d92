/* The config stamp the keeper trusts to skip a re-parse: any edit,
 * chmod, new or removed drop-in must change it, and a stamp taken right
 * after an edit must not be trusted at all. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char dir[] = "/tmp/tn-stamp-XXXXXX";
static char main_path[64], dropins[64], dropin[96], sibling[64];

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Wait out the racy window, then stamp. */
static struct tn_conf_stamp
settled(const struct tn_conf_opts *o)
{
	struct timespec t = { .tv_sec = 0, .tv_nsec = 150000000 };
	struct tn_conf_stamp s;

	nanosleep(&t, NULL);
	conf_stamp(o, &s);
	return s;
}

int
main(void)
{
	struct tn_conf_opts o = { .trusted_owner = 0 };
	struct tn_conf_stamp a, b;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(main_path, sizeof(main_path), "%s/tenant.conf", dir);
	snprintf(dropins, sizeof(dropins), "%s/tenant.d", dir);
	snprintf(dropin, sizeof(dropin), "%s/50-lab.conf", dropins);
	snprintf(sibling, sizeof(sibling), "%s/passwd", dir);
	mkdir(dropins, 0755);
	write_text(main_path, "[default]\nscope = user\n");
	o.main_path = main_path;
	o.dropin_dir = dropins;

	conf_stamp(&o, &a);
	OK(a.racy, "a stamp taken right after an edit is racy");
	OK(!conf_stamp_same(&a, &a), "... and never counts as unchanged");

	a = settled(&o);
	OK(!a.racy, "once the files are older than the window, it is not");
	b = settled(&o);
	OK(conf_stamp_same(&a, &b), "nothing changed: same stamp");

	write_text(main_path, "[default]\nscope = sess\n");
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "an edit of the same size changes it");

	a = b;
	chmod(main_path, 0666);
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "a chmod of the file changes it");
	chmod(main_path, 0644);

	a = settled(&o);
	chmod(dir, 0777);
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "a chmod of a directory above changes it");
	chmod(dir, 0700);

	/* Files made beside the config (in /etc on a passwd update) change
	 * the times of the directories above it, not the config. */
	a = settled(&o);
	write_text(sibling, "not config\n");
	conf_stamp(&o, &b);
	OK(!b.racy && conf_stamp_same(&a, &b),
	    "a file made beside the config keeps the stamp");
	unlink(sibling);

	a = settled(&o);
	write_text(dropin, "[user alice]\nisolate = no\n");
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "a new drop-in changes it");

	a = b;
	unlink(dropin);
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "a removed drop-in changes it");

	a = settled(&o);
	unlink(main_path);
	b = settled(&o);
	OK(!conf_stamp_same(&a, &b), "a removed main file changes it");

	rmdir(dropins);
	rmdir(dir);
	return tap_done();
}
