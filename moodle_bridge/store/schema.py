"""Tables of the store (SQLAlchemy Core metadata); migrations in ``migrations/`` create them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # "full" or "incremental"
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running, succeeded, failed
    Column("counts", JSON, nullable=False, default=dict),
    Column("error", Text),
)


# --- the sync's bookkeeping: a partition's rows and its bookmark commit in one transaction -------

sync_partitions = Table(
    "sync_partitions",
    metadata,
    Column("run_id", Integer, ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("partition", String(64), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("run_id", "entity", "partition"),
)

sync_state = Table(  # cursors kept between runs, e.g. when a course's grades were last read
    "sync_state",
    metadata,
    Column("entity", String(32), nullable=False),
    Column("key", String(64), nullable=False),
    Column("value", JSON, nullable=False),
    PrimaryKeyConstraint("entity", "key"),
)

# --- the mirror of Moodle. Times from Moodle are Unix seconds. Rows Moodle no longer has are
# marked gone (gone_at), never deleted, so the ledger can reverse what they earned. ----------------


def _gone() -> list[Column[Any]]:
    return [Column("gone_at", DateTime(timezone=True)), Column("gone_reason", String(32))]


mirror_categories = Table(
    "mirror_categories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("idnumber", String(100)),
    Column("parent", Integer, nullable=False),
    Column("path", String(255), nullable=False),
    Column("visible", Boolean, nullable=False),
    *_gone(),
)

mirror_courses = Table(
    "mirror_courses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("shortname", String(255), nullable=False),
    Column("fullname", Text, nullable=False),
    Column("idnumber", String(100)),
    Column("categoryid", Integer, nullable=False),
    Column("visible", Boolean, nullable=False),
    Column("startdate", BigInteger, nullable=False),
    Column("enddate", BigInteger, nullable=False),
    Column("completion_enabled", Boolean, nullable=False),
    Column("hours", Float),  # from the course custom field; None when the course has none
    Column("training_type", String(64)),
    Column("timemodified", BigInteger),
    *_gone(),
)

mirror_users = Table(
    "mirror_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("username", String(100)),
    Column("idnumber", String(255), index=True),
    Column("firstname", Text),
    Column("lastname", Text),
    Column("email", String(255)),
    Column("department", Text),
    Column("suspended", Boolean, nullable=False),
    Column("cadre_id", String(255)),  # from the profile field named in the settings
    Column("profile", JSON, nullable=False),  # every custom profile field: shortname -> value
    Column("lang", String(30)),  # the user's language in Moodle ("en", "zh_cn"); NULL: not known (migration 0020)
    *_gone(),
)

mirror_cohorts = Table(
    "mirror_cohorts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("idnumber", String(100)),
    Column("visible", Boolean, nullable=False),
    Column("customfields", JSON),  # shortname -> value of the cohort's custom fields (Moodle 4.2+; 0015)
    *_gone(),
)

mirror_cohort_members = Table(
    "mirror_cohort_members",
    metadata,
    Column("cohort_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    *_gone(),
    PrimaryKeyConstraint("cohort_id", "user_id"),
)

mirror_enrolments = Table(
    "mirror_enrolments",
    metadata,
    Column("course_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active, or inactive (suspended, expired, not yet started)
    Column("timestart", BigInteger),  # where the road read gives it
    Column("timeend", BigInteger),
    *_gone(),
    PrimaryKeyConstraint("course_id", "user_id"),
)

mirror_grades = Table(
    "mirror_grades",
    metadata,
    Column("course_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False, index=True),
    Column("grade", Float),  # the course total; None when not graded yet
    Column("grademax", Float),
    Column("graded_at", BigInteger),
    *_gone(),
    PrimaryKeyConstraint("course_id", "user_id"),
)

mirror_completions = Table(  # completed courses only; a reset Moodle proves marks the row gone
    "mirror_completions",
    metadata,
    Column("course_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False, index=True),
    Column("time_completed", BigInteger),
    Column("precision", String(8), nullable=False),  # "second", or "minute" (report display strings)
    Column("road", String(16), nullable=False),  # report, batch or per_enrolment
    *_gone(),
    PrimaryKeyConstraint("course_id", "user_id"),
)

mirror_activity_completions = Table(  # optional (features.activity_completions); completed activities only
    "mirror_activity_completions",
    metadata,
    Column("course_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("cmid", Integer, nullable=False),
    Column("modname", String(32), nullable=False),
    Column("state", Integer, nullable=False),  # 1 complete, 2 complete with a pass, 3 complete with a fail
    Column("time_completed", BigInteger),
    *_gone(),
    PrimaryKeyConstraint("course_id", "user_id", "cmid"),
)

MIRROR_TABLES = {
    "categories": mirror_categories,
    "courses": mirror_courses,
    "users": mirror_users,
    "cohorts": mirror_cohorts,
    "cohort_members": mirror_cohort_members,
    "enrolments": mirror_enrolments,
    "grades": mirror_grades,
    "completions": mirror_completions,
    "activity_completions": mirror_activity_completions,
}


# --- rules, credits and results ----------------------------------------------------------------

offline_records = Table(  # offline training imports; a withdrawn row stays, marked
    "offline_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("row_key", String(64), nullable=False, unique=True),  # content hash: re-imports add nothing
    Column("cadre_id", String(255), nullable=False, index=True),
    Column("training", Text, nullable=False),
    Column("organiser", Text),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("days", Float),
    Column("hours", Float),
    Column("leave_hours", Float, nullable=False),
    Column("kind", String(64)),
    Column("reference", String(255)),
    Column("source_file", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdraw_reason", Text),
)

exemptions = Table(  # fed by the rules file, `exemptions import` and (later) the review page
    "exemptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("cadre_id", String(255), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("effect", String(16), nullable=False),  # full or prorate
    Column("source", String(16), nullable=False),  # rules, import, review
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
)

credit_entries = Table(  # append-only: never updated, never deleted; corrections are new entries
    "credit_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadre_id", String(255), nullable=False, index=True),
    Column("source", String(128), nullable=False),  # completion:<course>:<user>, offline:<row>, adjustment:<n>
    Column("period", String(16), nullable=False),
    Column("hours", Float, nullable=False),  # negative for a reversal
    Column("online", Boolean, nullable=False),
    Column("earned_at", BigInteger, nullable=False),  # Unix seconds: windows and make-up count by it
    Column("kind", String(16), nullable=False),  # credit, reversal, adjustment
    Column("reason", Text),
    Column("rules_hash", String(64)),
    Column("detail", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(16), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("rules_hash", String(64), nullable=False),
    Column("exemptions_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("counts", JSON, nullable=False),
    Column("context_hash", String(64)),  # what every result depends on besides the cadre's own facts (0013)
    Column("judged", Integer),  # the cadres it judged; the others' results it kept from the one before
    Column("flags", Integer),  # the flags it holds (its own and those it kept)
    Column("tallied", Boolean),  # it keeps its units' tallies (unit_tallies, 0014); an older version's does not
    Column("unit_tree", String(64)),  # the unit tree it used (unit_trees.digest, 0015); None: flat units
    Column("unit_placing", String(64)),  # what placed each cadre in a unit (services/units.placing_key, 0015)
)

unit_trees = Table(  # every unit tree an evaluation used, by its fingerprint: figures roll up along it (0015)
    "unit_trees",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("units", JSON, nullable=False),  # [code, name, parent code] of every unit, by code
    Column("first_used_at", DateTime(timezone=True), nullable=False),
)

units_file = Table(  # the units file staff keep, when the rules take the unit tree from it (0015)
    "units_file",
    metadata,
    Column("code", String(100), primary_key=True),
    Column("name", Text, nullable=False),
    Column("parent_code", String(100)),
    Column("file_name", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

# The units a cadre belonged to and when (0015): seen in Moodle by an evaluation (source "moodle"; valid_from NULL at
# the first sighting) or given by the transfers file (source "file", which comes first). valid_to: the last day.
unit_memberships = Table(
    "unit_memberships",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadre_id", String(255), nullable=False),
    Column("unit_code", String(100), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("source", String(16), nullable=False),
    Column("file_name", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_unit_memberships_cadre", "cadre_id", "source", "valid_from"),
)

rules_files = Table(  # the text of every rules file an evaluation used, by its hash: a report names its requirements
    "rules_files",
    metadata,
    Column("rules_hash", String(64), primary_key=True),  # evaluations.rules_hash
    Column("text", Text, nullable=False),
    Column("first_used_at", DateTime(timezone=True), nullable=False),
)

# A result holds from the evaluation that judged the cadre (``since_evaluation``) until one that judged them again
# (``until_evaluation``; OPEN while it holds), within its period: ``results.held_in`` reads an evaluation's rows.
OPEN = 2147483647

evaluation_results = Table(
    "evaluation_results",
    metadata,
    Column("since_evaluation", Integer, ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
    Column("cadre_id", String(255), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("unit_code", String(100), nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("groups", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("hours_online", Float, nullable=False),
    Column("hours_offline", Float, nullable=False),
    Column("required_hours", Float),
    Column("until_evaluation", Integer, nullable=False, server_default=str(OPEN)),
    Column("period", String(16), nullable=False, server_default=""),
    Column("recheck_at", BigInteger),  # the last moment the same facts give the same result; NULL: no such moment
    Column("flags", Integer, nullable=False, server_default="0"),  # how many it raised (0014)
    PrimaryKeyConstraint("since_evaluation", "cadre_id"),
    # The review page's list of flagged results in each of its orders, and within a unit by name: one range of a
    # partial index (0014). A unit's results by status (an older version's evaluation's rates); a cadre's or a user's
    # rows; the results whose day to recheck came (0013).
    *(Index(name, *columns, postgresql_where=text("flags > 0"), sqlite_where=text("flags > 0"))
      for name, columns in {
          "ix_evaluation_results_flagged_name": ("period", "until_evaluation", "name", "cadre_id"),
          "ix_evaluation_results_flagged_unit": ("period", "until_evaluation", "unit_code", "name", "cadre_id"),
          "ix_evaluation_results_flagged_unit_name": ("period", "until_evaluation", "unit_name", "cadre_id"),
          "ix_evaluation_results_flagged_status": ("period", "until_evaluation", "status", "cadre_id"),
          "ix_evaluation_results_flagged_hours": ("period", "until_evaluation",
                                                  text("(hours_online + hours_offline)"), "cadre_id"),
      }.items()),
    Index("ix_evaluation_results_unit", "period", "until_evaluation", "unit_code", "unit_name", "status",
          "hours_online", "hours_offline"),
    Index("ix_evaluation_results_cadre", "cadre_id", "period", "until_evaluation"),
    Index("ix_evaluation_results_user", "user_id", "period", "until_evaluation"),
    Index("ix_evaluation_results_recheck", "period", "until_evaluation", "recheck_at"),
)

evaluation_flags = Table(  # a cadre's flags hold exactly as long as their result row
    "evaluation_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("since_evaluation", Integer, ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
    Column("cadre_id", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("rule", String(128), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("until_evaluation", Integer, nullable=False, server_default=str(OPEN)),
    Column("period", String(16), nullable=False, server_default=""),
    # A cadre's flags (is it flagged, of this kind?) and the flags by kind, read from the index alone (0013).
    Index("ix_evaluation_flags_cadre", "cadre_id", "period", "until_evaluation", "kind"),
    Index("ix_evaluation_flags_kind", "period", "until_evaluation", "kind", "cadre_id"),
)

# What each unit adds up to in the evaluations that hold the row (as results are held: ``store/held.py``), written by
# the evaluation from the tallies it held and the results it replaced (``store/unit_tallies.py``; 0014).
unit_tallies = Table(
    "unit_tallies",
    metadata,
    Column("since_evaluation", Integer, ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
    Column("unit_code", String(100), nullable=False),
    Column("unit_name", Text, nullable=False),
    Column("counts", JSON, nullable=False),  # cadres by status
    Column("hours_millionths", BigInteger, nullable=False),  # the hours of its cadres (the suspended apart), exact
    Column("flags", Integer, nullable=False),  # of its cadres (the suspended apart)
    Column("flagged", Integer, nullable=False),  # cadres with a flag
    Column("flag_kinds", JSON, nullable=False),  # flags by kind
    Column("flagged_kinds", JSON, nullable=False),  # cadres with a flag of the kind
    Column("flagged_groups", JSON, nullable=False),  # cadres with a flag of the group
    Column("until_evaluation", Integer, nullable=False, server_default=str(OPEN)),
    Column("period", String(16), nullable=False),
    PrimaryKeyConstraint("since_evaluation", "unit_code"),
    Index("ix_unit_tallies_held", "period", "until_evaluation", "unit_code"),
)

# Whose facts changed since an evaluation took the rows: written by triggers (0013); on SQLite, unique indexes on each
# column (where not NULL) keep one row a person.
cadre_changes = Table(
    "cadre_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer),
    Column("cadre_id", String(255)),
)

period_closures = Table(
    "period_closures",
    metadata,
    Column("period", String(16), primary_key=True),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    Column("evaluation_id", Integer, ForeignKey("evaluations.id"), nullable=False),
)

closing_differences = Table(  # what a Moodle reset or a rules edit would change in a closed period
    "closing_differences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(16), nullable=False),
    Column("cadre_id", String(255), nullable=False),
    Column("source", String(128), nullable=False),
    Column("certified_hours", Float, nullable=False),
    Column("new_hours", Float, nullable=False),
    Column("new_online", Boolean),
    Column("new_earned_at", BigInteger),
    Column("found_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),  # pending, accepted, rejected, superseded
    Column("decided_at", DateTime(timezone=True)),
)


action_log = Table(  # every action back to Moodle, planned (dry run) or done, with Moodle's answer
    "action_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(32), nullable=False),  # enrol, notify
    Column("cadre_id", String(255), nullable=False, index=True),
    Column("user_id", Integer, nullable=False),
    Column("target", String(128), nullable=False),  # course:<id>, or the flag a message is about
    Column("status", String(16), nullable=False),  # planned, done, unconfirmed, failed, skipped
    Column("dry_run", Boolean, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


locks = Table(  # a named lock: one holder at a time, taken over when the holder is gone
    "locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),  # host:pid:random
    Column("host", String(128), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

pipeline_runs = Table(  # sync, evaluate, reports, actions: one row a run, its steps in JSON
    "pipeline_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trigger", String(16), nullable=False),  # schedule, manual
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running, succeeded, failed, interrupted, skipped
    Column("steps", JSON, nullable=False),
    Column("error", Text),
)


# --- the review page ------------------------------------------------------------------------------

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # argon2
    Column("role", String(16), nullable=False),  # admin (every unit) or reviewer (units listed)
    Column("units", JSON, nullable=False),  # unit codes a reviewer may see
    Column("language", String(16)),  # None: follow the browser
    Column("disabled", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_failed_at", DateTime(timezone=True)),  # failures older than the lock-out window are forgotten
    # Embedded in every session; bumped by sign-out, a new password and disabling, so older cookies stop working.
    Column("session_version", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

review_events = Table(  # the review history of a cadre: reviewed, excused, note, message queued
    "review_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadre_id", String(255), nullable=False, index=True),
    Column("unit_code", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text),
    Column("detail", JSON, nullable=False),
    Column("staff", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(  # every review action, login and export
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(255)),
    Column("detail", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

message_queue = Table(  # messages staff queued; `moodle-bridge notify` style sending picks them up
    "message_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadre_id", String(255), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("queued_by", String(100), nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)


# --- the year-end assessment ----------------------------------------------------------------------

unit_targets = Table(  # each unit's targets of a period (its target-responsibility letter); a re-import replaces them
    "unit_targets",
    metadata,
    Column("period", String(16), nullable=False),
    Column("unit_code", String(100), nullable=False),
    Column("completion_rate", Float),  # a share (0.9 for 90%); None: not set, not assessed
    Column("hours_per_cadre", Float),
    Column("required_courses", Float),  # the share of cadres who completed their required courses
    Column("organised_trainings", Integer),  # trainings the unit organised itself
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("line", Integer, nullable=False),
    PrimaryKeyConstraint("period", "unit_code", name="pk_unit_targets"),
)


# --- issue 15, item 4: Moodle Feedback activities (course evaluations, training needs) -------------------------------
# Optional (features.feedback; 0019). A response to an anonymous feedback (or given anonymously) has no user: Moodle
# does not say who gave it, and the store could not hold one (the check below), nor Moodle's id of it, nor a time.

mirror_feedbacks = Table(  # each Feedback activity of a course the mirror holds
    "mirror_feedbacks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the feedback instance id
    Column("course_id", Integer, nullable=False),
    Column("cmid", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("timeopen", BigInteger),  # given only to a user who may edit its questions
    Column("timeclose", BigInteger),
    *_gone(),
)
mirror_feedback_items = Table(  # its questions with an answer (not page breaks, labels or captchas)
    "mirror_feedback_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("feedback_id", Integer, nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("typ", String(32), nullable=False),  # multichoicerated, multichoice, textarea, textfield, numeric
    Column("name", Text, nullable=False),
    Column("label", String(255), nullable=False),
    Column("presentation", Text, nullable=False),
    Column("choices", JSON, nullable=False),  # [[position, weight or null, text], ...] of a multiple choice
    *_gone(),
)
mirror_feedback_responses = Table(  # one completed questionnaire
    "mirror_feedback_responses",
    metadata,
    # A named response: Moodle's completed id, as text. An anonymous one: "a" and a keyed hash of the feedback's and
    # Moodle's ids (install_secrets' "feedback_response"): the same response keeps its key, yet Moodle's id, which
    # counts up across the site's questionnaires in the order people submit, is not kept (sync/entities/feedback.py).
    Column("key", String(40), primary_key=True),
    Column("id", Integer),  # Moodle's completed id: named responses only
    Column("feedback_id", Integer, nullable=False, index=True),
    Column("course_id", Integer, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("user_id", Integer),  # named responses only
    Column("timemodified", BigInteger),  # named responses only (Moodle gives no time for an anonymous one)
    *_gone(),
    CheckConstraint("(NOT anonymous) OR (user_id IS NULL AND id IS NULL AND timemodified IS NULL)",
                    name="ck_mirror_feedback_responses_anonymous"),
)
mirror_feedback_answers = Table(  # a response's answer to one question, as Moodle stores it
    "mirror_feedback_answers",
    metadata,
    Column("response_key", String(40), nullable=False),  # the response's key (above)
    Column("item_id", Integer, nullable=False),
    Column("feedback_id", Integer, nullable=False, index=True),
    Column("value", Text),  # a choice's position, several joined by "|", or the text written
    *_gone(),
    PrimaryKeyConstraint("response_key", "item_id"),
)
install_secrets = Table(  # random secrets made once by an install and kept in its store (0019); never shown
    "install_secrets",
    metadata,
    Column("name", String(64), primary_key=True),  # what it keys: "feedback_response"
    Column("value", String(128), nullable=False),  # hex
)


# --- issue 15, item 1: reminders on a schedule ------------------------------------------------------------------------

reminders_sent = Table(  # a reminder Moodle accepted, once a key (0017); the action log keeps every attempt
    "reminders_sent",
    metadata,
    Column("cadre_id", String(255), nullable=False),
    Column("rule", String(128), nullable=False),  # the requirement: groups.<group>.requirements[<n>]
    Column("due", Date, nullable=False),  # its due day when reminded: a moved due day gives new reminders
    Column("offset_days", Integer, nullable=False),  # days from the due day (negative: before)
    Column("reason", String(16), nullable=False),  # before, due, after, pace
    Column("sent_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("cadre_id", "rule", "due", "offset_days", name="pk_reminders_sent"),
)


# --- issue 15, item 2: due dates in the cadres' Moodle calendars ------------------------------------------------------

calendar_events = Table(  # the events moodle_bridge created in Moodle: one per course and requirement (0018)
    "calendar_events",
    metadata,
    Column("course_id", Integer, nullable=False),  # the course whose calendar holds it (a course event)
    Column("group_name", String(100), nullable=False),  # the rules' group whose requirement names the course
    Column("kind", String(32), nullable=False),  # required_courses or required_reading
    Column("event_id", Integer, nullable=False),  # Moodle's event id
    Column("rule", String(128), nullable=False),  # the requirement's path in the rules, when it was written
    Column("due", Date, nullable=False),  # the due day the event shows
    Column("timestart", BigInteger, nullable=False),  # what Moodle was sent: Unix seconds
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("course_id", "group_name", "kind", name="pk_calendar_events"),
)
