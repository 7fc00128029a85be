using System.Diagnostics;
using System.Runtime.InteropServices;
using Gensor.Cli;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>Output files are written all or none (issue 13, item 8).</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void When_one_file_cannot_be_written_none_is_and_no_temporary_file_stays()
    {
        var kernel = _dir.File("kernel.cs", "old kernel");
        var launch = Path.Combine(_dir.Path, "launch.json");
        Directory.CreateDirectory(launch);

        var error = Assert.Throws<Gensor.Diagnostics.GensorException>(() => AtomicFile.WriteAll([(kernel, "new kernel"), (launch, "{}")]));

        Assert.Equal(2, error.Error.ExitCode);
        Assert.EndsWith("nothing was changed", error.Message);
        Assert.Equal("old kernel", File.ReadAllText(kernel));
        Assert.Equal(["kernel.cs", "launch.json"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void A_folder_made_for_files_that_could_not_be_written_goes_again()
    {
        // emit on a full disk said "nothing was changed" and left its new, empty --out folder (probed on a
        // 12 KB tmpfs). Here the set fails on a target that is a directory, outside the new folder.
        var blocked = Directory.CreateDirectory(Path.Combine(_dir.Path, "launch.json")).FullName;
        var folder = Path.Combine(_dir.Path, "new", "out");

        var error = Assert.Throws<Gensor.Diagnostics.GensorException>(() =>
            AtomicFile.WriteAllInFolder(folder, [(Path.Combine(folder, "kernel.cs"), "kernel"), (blocked, "{}")]));

        Assert.EndsWith("nothing was changed", error.Message);
        Assert.Equal(["launch.json"], GensorProcess.Files(_dir.Path));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "new")));
    }

    [Fact]
    public void A_folder_is_made_with_its_parents_for_files_that_are_written()
    {
        var folder = Path.Combine(_dir.Path, "new", "out");

        AtomicFile.WriteAllInFolder(folder, [(Path.Combine(folder, "kernel.cs"), "kernel")]);

        Assert.Equal("kernel", File.ReadAllText(Path.Combine(folder, "kernel.cs")));
    }

    [Fact]
    public void Every_file_is_replaced_when_all_can_be_written()
    {
        var a = _dir.File("a", "old a");
        var b = Path.Combine(_dir.Path, "b");

        AtomicFile.WriteAll([(a, "new a"), (b, "new b")]);

        Assert.Equal("new a", File.ReadAllText(a));
        Assert.Equal("new b", File.ReadAllText(b));
        Assert.Equal(["a", "b"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void Superseded_files_go_with_the_set_and_missing_ones_are_no_error()
    {
        var a = _dir.File("a", "old a");
        _dir.File("b", "old b");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "d"));

        AtomicFile.WriteAll([(a, "new a"u8.ToArray())], [Path.Combine(_dir.Path, "b"), Path.Combine(_dir.Path, "c"), Path.Combine(_dir.Path, "d")]);

        Assert.Equal("new a", File.ReadAllText(a));
        Assert.Equal(["a", "d"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void An_output_directory_under_a_file_is_refused_up_front()
    {
        _dir.File("f", "x");

        Assert.Contains("is a file", FrontEnd.BadInput.Thrown(() => AtomicFile.CheckDirectory(Path.Combine(_dir.Path, "f", "sub"), ["kernel.cs"], "--out")));
        Assert.Equal(["f"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void A_set_waits_while_another_writer_holds_its_directory_so_two_sets_never_mix()
    {
        // Two emits into one folder at once left one's kernel.cs beside the other's launch.json (found by fuzzing).
        var kernel = _dir.File("kernel.cs", "old kernel");
        var launch = _dir.File("launch.json", "old launch");
        Exception? failed = null;
        // A thread, not a task: the lock is a mutex, which its holding thread must release.
        var writer = new Thread(() =>
        {
            try
            {
                AtomicFile.WriteAll([(kernel, "new kernel"), (launch, "new launch")]);
            }
            catch (Exception exception)
            {
                failed = exception;
            }
        });
        using (AtomicFile.LockDirectories([kernel]))
        {
            writer.Start();
            Assert.False(writer.Join(TimeSpan.FromMilliseconds(500)));
            Assert.Equal("old kernel", File.ReadAllText(kernel));
        }
        Assert.True(writer.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(failed);
        Assert.Equal("new kernel", File.ReadAllText(kernel));
        Assert.Equal("new launch", File.ReadAllText(launch));
        Assert.Equal(["kernel.cs", "launch.json"], GensorProcess.Files(_dir.Path));
    }

    [Fact]
    public void A_signal_during_the_renames_waits_for_them_and_then_ends_the_process_by_its_code()
    {
        var after = new List<PosixSignal>();
        var stepEnded = false;
        // The test's own handler outlives the deferral's, so a signal the runtime dispatched late could not end the test host.
        using var seen = new ManualResetEventSlim();
        using var guard = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            seen.Set();
        });
        SignalDeferral.Run(() =>
        {
            using (var kill = Process.Start("kill", ["-TERM", Environment.ProcessId.ToString()]))
            {
                kill.WaitForExit();
            }
            // Handlers run one after another on the runtime's signal thread, in an order of its own.
            Assert.True(seen.Wait(TimeSpan.FromSeconds(30)));
            Thread.Sleep(200);
            stepEnded = true;
        }, signal => after.Add(signal));

        Assert.True(stepEnded);
        Assert.Equal([PosixSignal.SIGTERM], after);
        Assert.Equal(143, Gensor.Diagnostics.SignalExit.Code(PosixSignal.SIGTERM));
    }
}
