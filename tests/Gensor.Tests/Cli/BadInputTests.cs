using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>
/// Malformed input: one line on stderr starting with "error:", exit code 2,
/// no stack trace, nothing written under --out.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string OutDir => Path.Combine(_dir.Path, "out");

    private GensorCli.Result Tune(params string[] args) => GensorCli.Run(["tune", .. args, "--out", OutDir]);

    private void AssertBadInput(GensorCli.Result result, params string[] expectedWords)
    {
        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        foreach (var word in expectedWords)
        {
            Assert.Contains(word, lines[0]);
        }
        Assert.False(Directory.Exists(OutDir));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Syntax_error_names_the_column() =>
        AssertBadInput(Tune("--compute", "C[m,n] += A[m,k] * * B[k,n]", "--shape", "m=4,n=4,k=4"), "column");

    [Fact]
    public void Index_variable_without_extent() =>
        AssertBadInput(Tune("--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=4,n=4"), "'k'");

    [Fact]
    public void Zero_extent() =>
        AssertBadInput(Tune("--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=0,n=4,k=4"), "m");

    [Fact]
    public void Extents_whose_product_overflows() =>
        AssertBadInput(Tune("--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=2000000000,n=2000000000,k=4"), "overflow");

    [Fact]
    public void Output_index_that_is_not_a_plain_variable() =>
        AssertBadInput(Tune("--compute", "C[m+1,n] += A[m,k] * B[k,n]", "--shape", "m=4,n=4,k=4"), "plain");

    [Fact]
    public void Unknown_function() =>
        AssertBadInput(Tune("--compute", "C[m,n] = foo(A[m,n])", "--shape", "m=4,n=4"), "foo");

    [Fact]
    public void Tensor_shape_that_contradicts_its_use()
    {
        var spec = _dir.File("bad.json", """{"name": "x", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 4, "n": 4, "k": 4}, "tensors": {"A": [4, 4, 4]}}""");
        AssertBadInput(Tune(spec), "'A'");
    }

    [Fact]
    public void Unknown_dtype()
    {
        var spec = _dir.File("bad.json", """{"name": "x", "compute": "C[m] += A[m,k]", "shape": {"m": 4, "k": 4}, "dtype": "float8"}""");
        AssertBadInput(Tune(spec), "float8");
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(_dir.Path, "nope.json");
        AssertBadInput(Tune(path), path);
    }

    [Fact]
    public void Empty_file_names_the_path()
    {
        var path = _dir.File("empty.json", "");
        AssertBadInput(Tune(path), path);
    }

    [Fact]
    public void Non_json_file_names_the_path()
    {
        var path = _dir.File("notjson.json", "C[m] += A[m,k]");
        AssertBadInput(Tune(path), path);
    }

    [Fact]
    public void Unknown_json_field_is_named()
    {
        var path = _dir.File("extra.json", """{"name": "x", "compute": "C[m] += A[m,k]", "shape": {"m": 4, "k": 4}, "shapes": {}}""");
        AssertBadInput(Tune(path), "'shapes'");
    }

    [Fact]
    public void Unknown_device() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--device", "tpu"), "tpu");

    [Fact]
    public void Unknown_format() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--format", "xml"), "xml");

    [Fact]
    public void Unknown_policy() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--policy", "magic"), "magic");

    [Fact]
    public void Unknown_target_profile() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--target", "gtx9000"), "gtx9000");

    [Fact]
    public void Malformed_schedule() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--schedule", "block=4 thread=x"), "--schedule");

    [Fact]
    public void Schedule_that_does_not_fit_the_operator() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--device", "cpu", "--schedule", "block=4x4 thread=1x1 reduce=4"), "--schedule");

    [Fact]
    public void Unknown_option() =>
        AssertBadInput(Tune("--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--frobnicate"), "--frobnicate");

    [Fact]
    public void Neither_spec_nor_compute() => AssertBadInput(Tune(), "no operator");
}
