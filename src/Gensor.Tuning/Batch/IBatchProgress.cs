namespace Gensor.Tuning.Batch;

/// <summary>Hears about a batch as it goes, to show progress; numbers count the run's operators from 1.</summary>
public interface IBatchProgress
{
    /// <summary>Work on operator <paramref name="number"/> of <paramref name="total"/> began a phase (a policy's name).</summary>
    void Started(int number, int total, string name, string phase);

    /// <summary>Operator <paramref name="number"/> of <paramref name="total"/> is done.</summary>
    void Finished(int number, int total, BatchResult result);
}
