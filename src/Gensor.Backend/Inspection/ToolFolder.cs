using Gensor.Diagnostics;

namespace Gensor.Backend.Inspection;

/// <summary>
/// A fresh temporary folder for the files an NVIDIA tool reads and writes (ptxas takes PTX and writes a
/// cubin), removed afterwards. A temporary directory that cannot take them (full, read-only) is the
/// environment failing, and said so with the folder and how to change it: it read "internal error:
/// AggregateException" from the compiler check's parallel compiles.
/// </summary>
internal static class ToolFolder
{
    /// <summary>Runs <paramref name="work"/> with the folder's path.</summary>
    /// <exception cref="GensorException">Internal: the temporary directory could not take the files.</exception>
    public static T Use<T>(string prefix, Func<string, T> work)
    {
        DirectoryInfo folder;
        try
        {
            folder = Directory.CreateTempSubdirectory(prefix);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(exception);
        }
        try
        {
            return work(folder.FullName);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(exception);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A folder left in the temporary directory is no reason to lose the result.
            }
        }
    }

    private static GensorException Unwritable(Exception exception) => new(new GensorError(ErrorKind.Internal,
        $"cannot write the NVIDIA tools' temporary files in {Printable.Text(Path.GetTempPath())} (TMPDIR sets the folder): {Printable.Text(exception.Message)}"), exception);
}
