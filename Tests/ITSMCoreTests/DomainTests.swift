import Testing

@testable import ITSMCore

@Suite("priority matrix and lifecycle")
struct DomainTests {
  @Test func itilMatrixMatchesTheReference() {
    let expected: [[String]] = [["P1", "P2", "P3"], ["P2", "P3", "P4"], ["P3", "P4", "P5"]]
    for impact in 1...3 {
      for urgency in 1...3 {
        #expect(
          PriorityMatrix.itil.priority(impact: impact, urgency: urgency).description
            == expected[impact - 1][urgency - 1])
      }
    }
  }

  func incident() -> Incident {
    var i = Incident(
      id: "INC-1", title: "t", service: "mail", priority: .p3, prioritySource: .matrix,
      openedAt: Timestamp(seconds: 1000))
    i.setImpact(2, urgency: 2, matrix: .itil)
    return i
  }

  let policy = Policy()

  @Test func allowedPath() throws {
    var i = incident()
    for (action, status) in [
      (IncidentAction.acknowledge, IncidentStatus.acknowledged),
      (.assign(assignee: "a", team: nil, tier: nil), .inProgress),
      (.hold(reason: "r"), .onHold), (.resume, .inProgress), (.resolve(rootCause: "c", resolution: "r"), .resolved),
      (.close(rootCause: nil, resolution: nil), .closed), (.reopen(reason: "again"), .inProgress),
    ] {
      let outcome = try IncidentLifecycle.apply(action, to: i, at: Timestamp(seconds: 2000), policy: policy)
      #expect(outcome.incident.status == status)
      #expect(outcome.events.count == 1)
      i = outcome.incident
    }
    #expect(i.reopenCount == 1)
    #expect(i.firstResolvedAt == Timestamp(seconds: 2000))
    #expect(i.resolvedAt == nil)
  }

  @Test(arguments: [IncidentStatus.resolved, .closed, .canceled])
  func closedStatesRefuseWork(status: IncidentStatus) {
    var i = incident()
    i.status = status
    for action in [
      IncidentAction.acknowledge, .hold(reason: "x"), .cancel(reason: "x"),
      .assign(assignee: "a", team: nil, tier: nil),
    ] {
      #expect(throws: ITSMError.self) {
        try IncidentLifecycle.apply(action, to: i, at: Timestamp(seconds: 2000), policy: policy)
      }
    }
  }

  @Test func closureRuleIsPolicy() throws {
    var i = incident()
    i.status = .resolved
    i.resolvedAt = Timestamp(seconds: 1500)
    #expect(throws: ITSMError.self) {
      try IncidentLifecycle.apply(
        .close(rootCause: "c", resolution: nil), to: i, at: Timestamp(seconds: 2000), policy: policy)
    }
    var lenient = Policy()
    lenient.closure.requireResolution = false
    lenient.closure.requireRootCause = false
    let outcome = try IncidentLifecycle.apply(
      .close(rootCause: nil, resolution: nil), to: i, at: Timestamp(seconds: 2000), policy: lenient)
    #expect(outcome.incident.status == .closed)
  }

  @Test func actionsBeforeOpeningAreRefused() {
    #expect(throws: ITSMError.self) {
      try IncidentLifecycle.apply(.acknowledge, to: incident(), at: Timestamp(seconds: 999), policy: policy)
    }
  }

  @Test func productivityLossAndCost() {
    var i = incident()
    i.usersAffected = 30
    i.startedAt = Timestamp(seconds: 0)
    i.resolvedAt = Timestamp(seconds: 3600)
    var p = Policy()
    p.services["mail"] = Service(name: "mail", tier: .critical, hourlyCost: 80)
    #expect(i.productivityLossMinutes == 1800)
    #expect(i.financialImpact(policy: p) == 2400)
  }
}
