// Record types are the API's own words (API.md, "Writing: records"); the vocabulary has no group for them.
export const RECORD_TYPES = {
  station_established: "站点设立", signboard_hung: "悬挂标牌", equipment_recorded: "设备登记",
  staff_assigned: "人员配备", staff_released: "人员离岗", rules_adopted: "制度建立", project_contracted: "项目签约",
  service_delivered: "服务提供", fund_spent: "资金支出", inspection_done: "督查检查", rectification_done: "整改完成",
  self_evaluation_submitted: "承接方自评", final_evaluation_done: "期末评估", record_voided: "记录作废",
  report_submitted: "报表报送", report_approved: "报表审核通过", report_returned: "报表退回",
  provider_exited: "承接方退出",
};

export function typeLabel(type) {
  return RECORD_TYPES[type] || type;
}

// The owner a level above wrote a record for (duties.py's Level.zh): the event's on_behalf_of.
export const OWNER_LABELS = { station: "服务站(承接方)", town: "镇(街道)", district: "区", city: "市" };

export function onBehalfText(owner) {
  return `代录：${OWNER_LABELS[owner] || owner}`;
}
