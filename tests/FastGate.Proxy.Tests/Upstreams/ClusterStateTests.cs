using FastGate.Proxy.Config;
using FastGate.Proxy.Upstreams;

namespace FastGate.Proxy.Tests.Upstreams;

public sealed class ClusterStateTests
{
    private static ClusterState State(RetryModel? retry = null, CircuitModel? circuit = null) => new("c")
    {
        Model = new ClusterModel { Name = "c", Endpoints = [], Retry = retry ?? new RetryModel(), Circuit = circuit ?? new CircuitModel() },
    };

    private static int Start(ClusterState state, int requests)
    {
        var started = 0;
        for (var i = 0; i < requests; i++)
        {
            started += state.TryStartRequest() == CircuitCap.None ? 1 : 0;
        }
        return started;
    }

    private static int Retries(ClusterState state, int tries)
    {
        var allowed = 0;
        for (var i = 0; i < tries; i++)
        {
            allowed += state.TryStartRetry() ? 1 : 0;
        }
        return allowed;
    }

    [Fact]
    public void TryStartRetry_QuietCluster_AllowsTheMinimum()
    {
        var state = State(new RetryModel { BudgetPercent = 20, BudgetMinimum = 3 });
        Start(state, 5);

        Assert.Equal(3, Retries(state, 10));
        Assert.Equal(3, state.Retries);
        Assert.Equal(7, state.BudgetExhausted);
    }

    [Fact]
    public void TryStartRetry_BusyCluster_AllowsThePercentOfActiveRequests()
    {
        var state = State(new RetryModel { BudgetPercent = 20, BudgetMinimum = 3 });
        Start(state, 100);

        Assert.Equal(20, Retries(state, 30));
        Assert.Equal(10, state.BudgetExhausted);
    }

    [Fact]
    public void EndRetry_FreesItsPlaceInTheBudget()
    {
        var state = State(new RetryModel { BudgetPercent = 0, BudgetMinimum = 1 });
        Assert.True(state.TryStartRetry());
        Assert.False(state.TryStartRetry());

        state.EndRetry();

        Assert.True(state.TryStartRetry());
        Assert.Equal((2, 1), (state.Retries, state.BudgetExhausted));
    }

    [Fact]
    public void TryStartRequest_MaxRequestsReached_RefusesUntilOneEnds()
    {
        var state = State(circuit: new CircuitModel { MaxRequests = 2 });
        Assert.Equal(2, Start(state, 2));

        Assert.Equal(CircuitCap.MaxRequests, state.TryStartRequest());
        Assert.Equal(2, state.ActiveRequests);
        state.EndRequest();
        Assert.Equal(CircuitCap.None, state.TryStartRequest());
        Assert.Equal(1, state.CircuitRefusals(CircuitCap.MaxRequests));
    }

    [Fact]
    public void TryStartConnect_MaxPendingReached_RefusesUntilOneEnds()
    {
        var state = State(circuit: new CircuitModel { MaxPending = 1 });
        Assert.Equal(CircuitCap.None, state.TryStartConnect());

        Assert.Equal(CircuitCap.MaxPending, state.TryStartConnect());
        state.EndConnect();
        Assert.Equal(CircuitCap.None, state.TryStartConnect());
        Assert.Equal(1, state.CircuitRefusals(CircuitCap.MaxPending));
        Assert.Equal(0, state.CircuitRefusals(CircuitCap.MaxConnections));
    }

    [Fact]
    public void TryStartConnect_OpenAndOpeningConnectionsAtMax_RefusesWithMaxConnections()
    {
        var state = State(circuit: new CircuitModel { MaxConnections = 3 });
        state.ConnectionOpened();
        state.ConnectionOpened();
        Assert.Equal(CircuitCap.None, state.TryStartConnect());

        Assert.Equal(CircuitCap.MaxConnections, state.TryStartConnect());
        state.ConnectionClosed();
        Assert.Equal(CircuitCap.None, state.TryStartConnect());
        Assert.Equal(1, state.CircuitRefusals(CircuitCap.MaxConnections));
        Assert.Equal(2, state.PendingConnects);
    }

    [Fact]
    public void TryStart_NoCaps_NeverRefuses()
    {
        var state = State();

        Assert.Equal(10_000, Start(state, 10_000));
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(CircuitCap.None, state.TryStartConnect());
        }
        Assert.Equal(0, state.CircuitRefusals(CircuitCap.MaxRequests) + state.CircuitRefusals(CircuitCap.MaxPending) + state.CircuitRefusals(CircuitCap.MaxConnections));
    }

    [Fact]
    public void TryStartRequest_CapLoweredByReload_AppliesToTheNextRequest()
    {
        var state = State(circuit: new CircuitModel { MaxRequests = 10 });
        Start(state, 3);

        state.Model = state.Model with { Circuit = new CircuitModel { MaxRequests = 3 } };

        Assert.Equal(CircuitCap.MaxRequests, state.TryStartRequest());
    }
}
