// SPDX-License-Identifier: Apache-2.0
/* Resources: creation from paths, buffers and directories, registration
 * with sessions and its reference counts, lookups, misuse. */
#include "common.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *tmp;

static void setup(void)
{
	test_boot_noop();
	tmp = test_tmpdir();
	/* the library's run directory goes under our temporary one */
	setenv("VACCEL_RUNDIR", tmp, 1);
}

static void teardown(void)
{
	test_cleanup();
	test_rm_rf(tmp);
	free(tmp);
}

TestSuite(resource, .init = setup, .fini = teardown);

static const char content1[] = "first file\n";
static const char content2[] = "second, longer file\n";

static void expect_file(const struct vaccel_resource *res, size_t i,
			const char *name, const void *data, size_t len)
{
	cr_assert_lt(i, res->nr_files);
	struct vaccel_file *f = res->files[i];
	cr_expect_str_eq(f->name, name);
	size_t size = 0;
	const uint8_t *d = vaccel_file_data(f, &size);
	cr_assert_not_null(d, "file %zu has no data", i);
	cr_expect_eq(size, len);
	cr_expect_eq(memcmp(d, data, len), 0, "file %zu: wrong bytes", i);
}

Test(resource, from_path)
{
	char *path =
	    test_write_file(tmp, "model.bin", content1, sizeof(content1));
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init(&res, path, VACCEL_RESOURCE_MODEL));
	cr_expect_gt(res.id, 0);
	cr_expect_eq(res.type, VACCEL_RESOURCE_MODEL);
	cr_expect_eq(res.path_type, VACCEL_PATH_LOCAL_FILE);
	cr_expect_eq(vaccel_resource_refcount(&res), 0);
	cr_assert_eq(res.nr_paths, 1);
	cr_expect_str_eq(res.paths[0], path);
	cr_assert_eq(res.nr_files, 1);
	cr_expect_str_eq(vaccel_file_path(res.files[0]), path);
	expect_file(&res, 0, "model.bin", content1, sizeof(content1));
	assert_ok(vaccel_resource_release(&res));
	cr_expect_eq(res.id, 0);
	/* the caller's file is not ours to remove */
	struct stat st;
	cr_expect_eq(stat(path, &st), 0, "%s was removed", path);
	free(path);
}

Test(resource, from_several_paths)
{
	char *p1 = test_write_file(tmp, "one", content1, sizeof(content1));
	char *p2 = test_write_file(tmp, "two", content2, sizeof(content2));
	const char *paths[] = {p1, p2};
	struct vaccel_resource *res = NULL;
	assert_ok(
	    vaccel_resource_multi_new(&res, paths, 2, VACCEL_RESOURCE_DATA));
	cr_assert_not_null(res);
	cr_expect_eq(res->nr_paths, 2);
	cr_assert_eq(res->nr_files, 2);
	expect_file(res, 0, "one", content1, sizeof(content1));
	expect_file(res, 1, "two", content2, sizeof(content2));
	assert_ok(vaccel_resource_delete(res));
	free(p1);
	free(p2);
}

Test(resource, from_buffer)
{
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init_from_buf(
	    &res, content2, sizeof(content2), VACCEL_RESOURCE_LIB, "lib.so"));
	cr_expect_gt(res.id, 0);
	cr_expect_eq(res.type, VACCEL_RESOURCE_LIB);
	cr_expect_eq(res.nr_paths, 0);
	cr_assert_eq(res.nr_files, 1);
	cr_expect_null(vaccel_file_path(res.files[0]));
	expect_file(&res, 0, "lib.so", content2, sizeof(content2));
	assert_ok(vaccel_resource_release(&res));

	struct vaccel_resource *heap = NULL;
	assert_ok(vaccel_resource_from_buf(&heap, content1, sizeof(content1),
					   VACCEL_RESOURCE_DATA, "d"));
	expect_file(heap, 0, "d", content1, sizeof(content1));
	assert_ok(vaccel_resource_delete(heap));
}

Test(resource, from_buffer_copies)
{
	char buf[] = "mutable";
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init_from_buf(&res, buf, sizeof(buf),
						VACCEL_RESOURCE_DATA, "b"));
	buf[0] = 'X';
	expect_file(&res, 0, "b", "mutable", sizeof("mutable"));
	assert_ok(vaccel_resource_release(&res));
}

Test(resource, from_directory)
{
	char *dir = NULL;
	cr_assert(asprintf(&dir, "%s/model", tmp) > 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	free(test_write_file(dir, "b.bin", content2, sizeof(content2)));
	free(test_write_file(dir, "a.txt", content1, sizeof(content1)));
	free(test_write_file(dir, ".hidden", "x", 1));
	char *sub = NULL;
	cr_assert(asprintf(&sub, "%s/sub", dir) > 0);
	cr_assert_eq(mkdir(sub, 0700), 0);
	free(test_write_file(sub, "nested", "y", 1));

	struct vaccel_resource res;
	assert_ok(vaccel_resource_init(&res, dir, VACCEL_RESOURCE_MODEL));
	cr_expect_eq(res.path_type, VACCEL_PATH_LOCAL_DIR);
	/* regular files only, sorted, no dotfiles, no recursion */
	cr_assert_eq(res.nr_files, 2, "got %zu files", res.nr_files);
	expect_file(&res, 0, "a.txt", content1, sizeof(content1));
	expect_file(&res, 1, "b.bin", content2, sizeof(content2));
	assert_ok(vaccel_resource_release(&res));
	free(sub);
	free(dir);
}

Test(resource, from_files)
{
	char *p1 = test_write_file(tmp, "on-disk", content1, sizeof(content1));
	struct vaccel_file disk, mem;
	assert_ok(vaccel_file_init(&disk, p1));
	assert_ok(vaccel_file_init_from_buf(&mem, (const uint8_t *)content2,
					    sizeof(content2), "in-mem", NULL,
					    false));
	const struct vaccel_file *files[] = {&disk, &mem};
	struct vaccel_resource *res = NULL;
	assert_ok(
	    vaccel_resource_from_files(&res, files, 2, VACCEL_RESOURCE_DATA));
	cr_assert_eq(res->nr_files, 2);
	expect_file(res, 0, "on-disk", content1, sizeof(content1));
	expect_file(res, 1, "in-mem", content2, sizeof(content2));
	assert_ok(vaccel_resource_delete(res));
	assert_ok(vaccel_file_release(&disk));
	assert_ok(vaccel_file_release(&mem));
	free(p1);
}

Test(resource, missing_path)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/does-not-exist", tmp) > 0);
	struct vaccel_resource res;
	assert_ret(vaccel_resource_init(&res, path, VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOENT);
	cr_expect_eq(res.id, 0);
	struct vaccel_resource *heap = NULL;
	assert_ret(vaccel_resource_new(&heap, path, VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOENT);
	cr_expect_null(heap);
	/* one bad path among good ones fails the whole resource */
	char *good = test_write_file(tmp, "good", "g", 1);
	const char *paths[] = {good, path};
	assert_ret(
	    vaccel_resource_init_multi(&res, paths, 2, VACCEL_RESOURCE_DATA),
	    VACCEL_ENOENT);
	struct vaccel_resource *found;
	assert_ret(vaccel_resource_get_by_type(&found, VACCEL_RESOURCE_DATA),
		   VACCEL_ENOENT);
	free(good);
	free(path);
}

Test(resource, url_not_supported)
{
	struct vaccel_resource res;
	assert_ret(vaccel_resource_init(&res, "https://example.com/model.onnx",
					VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOTSUP);
	assert_ret(vaccel_resource_init(&res, "file:///tmp/model.onnx",
					VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOTSUP);
}

Test(resource, invalid_arguments)
{
	char *path = test_write_file(tmp, "f", "f", 1);
	struct vaccel_resource res, *heap;
	const char *paths[] = {path, ""};
	const char *null_paths[] = {NULL};
	assert_ret(vaccel_resource_init(&res, NULL, VACCEL_RESOURCE_DATA),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init(NULL, path, VACCEL_RESOURCE_DATA),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init(&res, path, VACCEL_RESOURCE_MAX),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init(&res, path, (vaccel_resource_type_t)-1),
		   VACCEL_EINVAL);
	assert_ret(
	    vaccel_resource_init_multi(&res, paths, 2, VACCEL_RESOURCE_DATA),
	    VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_multi(&res, null_paths, 1,
					      VACCEL_RESOURCE_DATA),
		   VACCEL_EINVAL);
	assert_ret(
	    vaccel_resource_init_multi(&res, paths, 0, VACCEL_RESOURCE_DATA),
	    VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_from_buf(&res, NULL, 4,
						 VACCEL_RESOURCE_DATA, "x"),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_from_buf(&res, "abc", 0,
						 VACCEL_RESOURCE_DATA, "x"),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_from_buf(&res, "abc", 3,
						 VACCEL_RESOURCE_DATA, NULL),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_from_buf(&res, "abc", 3,
						 VACCEL_RESOURCE_DATA, ""),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_init_from_files(&res, NULL, 1,
						   VACCEL_RESOURCE_DATA),
		   VACCEL_EINVAL);
	assert_ret(vaccel_resource_new(NULL, path, VACCEL_RESOURCE_DATA),
		   VACCEL_EINVAL);
	assert_ret(
	    vaccel_resource_from_buf(&heap, "abc", 3, VACCEL_RESOURCE_MAX, "x"),
	    VACCEL_EINVAL);
	assert_ret(vaccel_resource_release(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_resource_delete(NULL), VACCEL_EINVAL);
	cr_expect_eq(vaccel_resource_refcount(NULL), -VACCEL_EINVAL);
	free(path);
}

/* Two sessions and a buffer resource, for the registration tests. */
struct fixture {
	struct vaccel_session s1, s2;
	struct vaccel_resource res;
};

static void fixture_init(struct fixture *f)
{
	assert_ok(vaccel_session_init(&f->s1, 0));
	assert_ok(vaccel_session_init(&f->s2, 0));
	assert_ok(vaccel_resource_init_from_buf(
	    &f->res, content1, sizeof(content1), VACCEL_RESOURCE_MODEL, "m"));
}

Test(resource, register_refcounts)
{
	struct fixture f;
	fixture_init(&f);
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 1);
	cr_expect(vaccel_session_has_resource(&f.s1, &f.res));
	cr_expect(!vaccel_session_has_resource(&f.s2, &f.res));
	assert_ok(vaccel_resource_register(&f.res, &f.s2));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 2);
	cr_expect(vaccel_session_has_resource(&f.s2, &f.res));

	assert_ok(vaccel_resource_unregister(&f.res, &f.s1));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 1);
	cr_expect(!vaccel_session_has_resource(&f.s1, &f.res));
	assert_ok(vaccel_resource_unregister(&f.res, &f.s2));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 0);

	assert_ok(vaccel_resource_release(&f.res));
	assert_ok(vaccel_session_release(&f.s1));
	assert_ok(vaccel_session_release(&f.s2));
}

Test(resource, register_twice)
{
	struct fixture f;
	fixture_init(&f);
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	assert_ret(vaccel_resource_register(&f.res, &f.s1), VACCEL_EEXIST);
	cr_expect_eq(vaccel_resource_refcount(&f.res), 1);
	assert_ok(vaccel_resource_unregister(&f.res, &f.s1));
	/* and unregistering again finds nothing */
	assert_ret(vaccel_resource_unregister(&f.res, &f.s1), VACCEL_ENOENT);
	cr_expect_eq(vaccel_resource_refcount(&f.res), 0);
	assert_ok(vaccel_resource_release(&f.res));
	assert_ok(vaccel_session_release(&f.s1));
	assert_ok(vaccel_session_release(&f.s2));
}

Test(resource, unregister_never_registered)
{
	struct fixture f;
	fixture_init(&f);
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	assert_ret(vaccel_resource_unregister(&f.res, &f.s2), VACCEL_ENOENT);
	cr_expect_eq(vaccel_resource_refcount(&f.res), 1);
	assert_ok(vaccel_session_release(&f.s1));
	assert_ok(vaccel_session_release(&f.s2));
	assert_ok(vaccel_resource_release(&f.res));
}

Test(resource, release_while_registered)
{
	struct fixture f;
	fixture_init(&f);
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	assert_ret(vaccel_resource_release(&f.res), VACCEL_EBUSY);
	/* still live and usable */
	cr_expect_gt(f.res.id, 0);
	struct vaccel_resource *found = NULL;
	assert_ok(vaccel_resource_get_by_id(&found, f.res.id));
	cr_expect_eq(found, &f.res);
	assert_ok(vaccel_resource_unregister(&f.res, &f.s1));
	assert_ok(vaccel_resource_release(&f.res));
	assert_ok(vaccel_session_release(&f.s1));
	assert_ok(vaccel_session_release(&f.s2));
}

Test(resource, double_release)
{
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init_from_buf(&res, "x", 1,
						VACCEL_RESOURCE_DATA, "x"));
	assert_ok(vaccel_resource_release(&res));
	assert_ret(vaccel_resource_release(&res), VACCEL_EINVAL);
	struct vaccel_resource never = {0};
	assert_ret(vaccel_resource_release(&never), VACCEL_EINVAL);
}

Test(resource, register_dead_objects)
{
	struct fixture f;
	fixture_init(&f);
	assert_ok(vaccel_session_release(&f.s2));
	assert_ret(vaccel_resource_register(&f.res, &f.s2), VACCEL_EINVAL);
	assert_ret(vaccel_resource_unregister(&f.res, &f.s2), VACCEL_EINVAL);
	assert_ok(vaccel_resource_release(&f.res));
	assert_ret(vaccel_resource_register(&f.res, &f.s1), VACCEL_EINVAL);
	assert_ret(vaccel_resource_unregister(&f.res, &f.s1), VACCEL_EINVAL);
	assert_ret(vaccel_resource_register(NULL, &f.s1), VACCEL_EINVAL);
	assert_ret(vaccel_resource_register(&f.res, NULL), VACCEL_EINVAL);
	assert_ret(vaccel_resource_unregister(NULL, &f.s1), VACCEL_EINVAL);
	assert_ok(vaccel_session_release(&f.s1));
}

Test(resource, session_release_unregisters)
{
	struct fixture f;
	fixture_init(&f);
	struct vaccel_resource other;
	assert_ok(vaccel_resource_init_from_buf(&other, "o", 1,
						VACCEL_RESOURCE_DATA, "o"));
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	assert_ok(vaccel_resource_register(&f.res, &f.s2));
	assert_ok(vaccel_resource_register(&other, &f.s1));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 2);
	assert_ok(vaccel_session_release(&f.s1));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 1);
	cr_expect_eq(vaccel_resource_refcount(&other), 0);
	assert_ok(vaccel_resource_release(&other));
	assert_ret(vaccel_resource_release(&f.res), VACCEL_EBUSY);
	assert_ok(vaccel_session_release(&f.s2));
	cr_expect_eq(vaccel_resource_refcount(&f.res), 0);
	assert_ok(vaccel_resource_release(&f.res));
}

Test(resource, session_lookups)
{
	struct fixture f;
	fixture_init(&f);
	struct vaccel_resource lib1, lib2, *found = NULL, **all = NULL;
	size_t n = 0;
	assert_ok(vaccel_resource_init_from_buf(&lib1, "1", 1,
						VACCEL_RESOURCE_LIB, "l1"));
	assert_ok(vaccel_resource_init_from_buf(&lib2, "2", 1,
						VACCEL_RESOURCE_LIB, "l2"));
	assert_ok(vaccel_resource_register(&f.res, &f.s1));
	assert_ok(vaccel_resource_register(&lib1, &f.s1));
	assert_ok(vaccel_resource_register(&lib2, &f.s1));
	assert_ok(vaccel_resource_register(&lib2, &f.s2));

	assert_ok(vaccel_session_resource_by_id(&f.s1, &found, lib1.id));
	cr_expect_eq(found, &lib1);
	assert_ret(vaccel_session_resource_by_id(&f.s2, &found, lib1.id),
		   VACCEL_ENOENT);
	assert_ret(vaccel_session_resource_by_id(&f.s1, &found, 1 << 30),
		   VACCEL_ENOENT);
	assert_ok(vaccel_session_resource_by_type(&f.s1, &found,
						  VACCEL_RESOURCE_MODEL));
	cr_expect_eq(found, &f.res);
	assert_ret(vaccel_session_resource_by_type(&f.s1, &found,
						   VACCEL_RESOURCE_DATA),
		   VACCEL_ENOENT);
	assert_ret(
	    vaccel_session_resource_by_type(&f.s1, &found, VACCEL_RESOURCE_MAX),
	    VACCEL_EINVAL);
	assert_ok(vaccel_session_resources_by_type(&f.s1, &all, &n,
						   VACCEL_RESOURCE_LIB));
	cr_assert_eq(n, 2);
	cr_expect((all[0] == &lib1 && all[1] == &lib2) ||
		  (all[0] == &lib2 && all[1] == &lib1));
	free(all);
	assert_ret(vaccel_session_resources_by_type(&f.s2, &all, &n,
						    VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOENT);

	assert_ok(vaccel_session_release(&f.s1));
	assert_ret(vaccel_session_resource_by_id(&f.s1, &found, lib1.id),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_release(&f.s2));
	assert_ok(vaccel_resource_release(&lib1));
	assert_ok(vaccel_resource_release(&lib2));
	assert_ok(vaccel_resource_release(&f.res));
}

Test(resource, global_lookups)
{
	struct vaccel_resource a, b, c, *found = NULL, **all = NULL;
	size_t n = 0;
	assert_ok(vaccel_resource_init_from_buf(&a, "a", 1,
						VACCEL_RESOURCE_DATA, "a"));
	assert_ok(vaccel_resource_init_from_buf(&b, "b", 1,
						VACCEL_RESOURCE_DATA, "b"));
	assert_ok(vaccel_resource_init_from_buf(&c, "c", 1, VACCEL_RESOURCE_LIB,
						"c"));
	cr_expect(a.id != b.id && b.id != c.id && a.id != c.id);

	assert_ok(vaccel_resource_get_by_id(&found, b.id));
	cr_expect_eq(found, &b);
	assert_ok(vaccel_resource_get_by_type(&found, VACCEL_RESOURCE_LIB));
	cr_expect_eq(found, &c);
	assert_ret(vaccel_resource_get_by_type(&found, VACCEL_RESOURCE_MODEL),
		   VACCEL_ENOENT);
	assert_ok(
	    vaccel_resource_get_all_by_type(&all, &n, VACCEL_RESOURCE_DATA));
	cr_expect_eq(n, 2);
	free(all);
	assert_ret(vaccel_resource_get_by_id(&found, 0), VACCEL_EINVAL);
	assert_ret(vaccel_resource_get_by_type(NULL, VACCEL_RESOURCE_LIB),
		   VACCEL_EINVAL);

	vaccel_id_t id = b.id;
	assert_ok(vaccel_resource_release(&b));
	assert_ret(vaccel_resource_get_by_id(&found, id), VACCEL_ENOENT);
	assert_ok(
	    vaccel_resource_get_all_by_type(&all, &n, VACCEL_RESOURCE_DATA));
	cr_expect_eq(n, 1);
	cr_expect_eq(all[0], &a);
	free(all);
	assert_ok(vaccel_resource_release(&a));
	assert_ok(vaccel_resource_release(&c));
	assert_ret(
	    vaccel_resource_get_all_by_type(&all, &n, VACCEL_RESOURCE_DATA),
	    VACCEL_ENOENT);
}

static void expect_on_disk(const char *dir, const char *name, const void *data,
			   size_t len)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	size_t got = 0;
	char *bytes = test_read_file(path, &got);
	cr_assert_not_null(bytes, "%s was not written", path);
	cr_expect_eq(got, len, "%s: %zu bytes", path, got);
	cr_expect_eq(memcmp(bytes, data, len), 0, "%s: wrong bytes", path);
	free(bytes);
	free(path);
}

Test(resource, directory_writes_files)
{
	char *p1 = test_write_file(tmp, "weights", content1, sizeof(content1));
	const char *paths[] = {p1};
	struct vaccel_resource disk, mem;
	assert_ok(
	    vaccel_resource_init_multi(&disk, paths, 1, VACCEL_RESOURCE_MODEL));
	assert_ok(
	    vaccel_resource_init_from_buf(&mem, content2, sizeof(content2),
					  VACCEL_RESOURCE_DATA, "labels.txt"));
	char out[4096];
	assert_ok(vaccel_resource_directory(&disk, out, sizeof(out), NULL));
	cr_expect_eq(strncmp(out, tmp, strlen(tmp)), 0,
		     "%s is not under VACCEL_RUNDIR %s", out, tmp);
	expect_on_disk(out, "weights", content1, sizeof(content1));

	char *alloc = NULL;
	char small[4];
	/* too small for the path: it comes back allocated */
	assert_ok(
	    vaccel_resource_directory(&mem, small, sizeof(small), &alloc));
	cr_assert_not_null(alloc);
	cr_expect_str_neq(alloc, out);
	expect_on_disk(alloc, "labels.txt", content2, sizeof(content2));
	/* asked again: the same directory */
	char again[4096];
	assert_ok(vaccel_resource_directory(&mem, again, sizeof(again), NULL));
	cr_expect_str_eq(again, alloc);
	assert_ret(vaccel_resource_directory(&mem, small, sizeof(small), NULL),
		   VACCEL_ENAMETOOLONG);
	assert_ret(vaccel_resource_directory(&mem, NULL, 0, NULL),
		   VACCEL_EINVAL);

	/* releasing removes what was written */
	assert_ok(vaccel_resource_release(&disk));
	assert_ok(vaccel_resource_release(&mem));
	struct stat st;
	cr_expect_neq(stat(out, &st), 0, "%s survived release", out);
	cr_expect_neq(stat(alloc, &st), 0, "%s survived release", alloc);
	cr_expect_eq(stat(p1, &st), 0, "the caller's %s was removed", p1);
	free(alloc);
	free(p1);
}

Test(resource, directory_of_dead_resource)
{
	struct vaccel_resource res;
	char out[256];
	assert_ok(vaccel_resource_init_from_buf(&res, "x", 1,
						VACCEL_RESOURCE_DATA, "x"));
	assert_ok(vaccel_resource_release(&res));
	assert_ret(vaccel_resource_directory(&res, out, sizeof(out), NULL),
		   VACCEL_EINVAL);
}
