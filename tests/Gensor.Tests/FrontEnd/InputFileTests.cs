using System.Diagnostics;
using System.Text;
using Gensor.Files;
using Gensor.FrontEnd;
using Gensor.Tests.Support;

namespace Gensor.Tests.FrontEnd;

/// <summary>
/// Files named by a user are read so that none can hang or exhaust the process
/// (issue 13, items 10 and 14).
/// </summary>
public sealed class InputFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_directory_is_called_a_directory_not_a_missing_file() =>
        Assert.Contains("is a directory", BadInput.Thrown(() => SpecReader.ReadFile(_dir.Path)));

    [Fact]
    public void A_missing_file_is_called_missing() =>
        Assert.Contains("no such file", BadInput.Thrown(() => SpecReader.ReadFile(Path.Combine(_dir.Path, "none.json"))));

    [Fact]
    public void A_text_file_past_the_size_limit_is_refused() =>
        Assert.Contains("larger than", BadInput.Thrown(() => InputFile.ReadText(_dir.File("big.json", new string('a', 1 << 17)), "spec file", 1 << 16)));

    [Fact]
    public void Dev_zero_is_refused_as_binary_at_its_first_chunk_not_at_the_size_limit() =>
        // With a records file's 1 GiB limit it read a gibibyte of zeros first (23 s; found by fuzzing).
        Assert.Contains("holds NUL bytes", BadInput.Thrown(() => InputFile.ReadText("/dev/zero", "records file", 1L << 30)));

    [Fact]
    public void A_FIFO_with_no_writer_is_refused_after_the_open_timeout()
    {
        var fifo = Path.Combine(_dir.Path, "fifo");
        Process.Start("mkfifo", [fifo])!.WaitForExit();
        var clock = Stopwatch.StartNew();

        var message = BadInput.Thrown(() => InputFile.ReadText(fifo, "spec file", 1 << 16));

        Assert.Contains("FIFO", message);
        Assert.True(clock.Elapsed < InputFile.OpenTimeout + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        // Let the opener that is still waiting go.
        using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
    }

    [Fact]
    public async Task A_FIFO_that_delivers_a_spec_is_read_like_a_file()
    {
        var fifo = Path.Combine(_dir.Path, "fifo");
        Process.Start("mkfifo", [fifo])!.WaitForExit();
        // A thread of its own, as a shell's writer would be: a pool busy with other tests must not delay it past the open timeout.
        var writer = Task.Factory.StartNew(() => File.WriteAllText(fifo, """{"name": "p", "compute": "C[m] = A[m]", "shape": {"m": 4}}"""),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var specs = SpecReader.ReadFile(fifo);

        await writer;
        Assert.Equal("p", Assert.Single(specs).Name);
    }

    [Theory]
    [InlineData("utf16", "UTF-16")]
    [InlineData("nul", "NUL")]
    [InlineData("latin1", "not UTF-8")]
    public void Text_that_is_not_UTF8_is_refused(string kind, string expected)
    {
        var bytes = kind switch
        {
            "utf16" => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("{}")).ToArray(),
            "nul" => new byte[] { (byte)'{', 0, (byte)'}' },
            _ => new byte[] { (byte)'{', 0xE9, (byte)'}' },
        };
        var path = Path.Combine(_dir.Path, "f.json");
        File.WriteAllBytes(path, bytes);

        Assert.Contains(expected, BadInput.Thrown(() => SpecReader.ReadFile(path)));
    }

    [Fact]
    public void A_UTF8_byte_order_mark_is_accepted()
    {
        var path = Path.Combine(_dir.Path, "bom.json");
        File.WriteAllText(path, """{"name": "p", "compute": "C[m] = A[m]", "shape": {"m": 4}}""", new UTF8Encoding(true));

        Assert.Single(SpecReader.ReadFile(path));
    }
}
